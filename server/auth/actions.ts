'use server';

import { AuthError } from 'next-auth';
import { headers } from 'next/headers';
import { z } from 'zod';
import { inAction } from '../http/action-context';
import { clientIp, takeSignInAttempt } from '../http/rate-limit';
import { signIn, signOut } from '.';

export type SignInState = { error?: string; email?: string };

const safeReturn = (v: FormDataEntryValue | null) => {
  const s = typeof v === 'string' ? v : '/';
  return s.startsWith('/') && !s.startsWith('//') ? s : '/';
};

const Form = z.object({ email: z.string().trim().min(1, 'Enter your email.'), password: z.string().min(1, 'Enter your password.') });

export async function signInAction(prev: SignInState, formData: FormData): Promise<SignInState> {
  return inAction(() => signInWith(prev, formData));
}

async function signInWith(_prev: SignInState, formData: FormData): Promise<SignInState> {
  const email = String(formData.get('email') ?? '');
  const parsed = Form.safeParse({ email, password: formData.get('password') ?? '' });
  if (!parsed.success) return { error: parsed.error.issues[0].message, email };
  const limited = takeSignInAttempt(parsed.data.email, clientIp(await headers()));
  if (limited) return { error: limited.message, email };
  try {
    await signIn('credentials', {
      email: parsed.data.email,
      password: parsed.data.password,
      redirectTo: safeReturn(formData.get('callbackUrl')),
    });
    return {};
  } catch (e) {
    // The same words whether the account exists or not.
    if (e instanceof AuthError) return { error: 'Wrong email or password.', email };
    throw e; // Next's redirect on success travels as an exception
  }
}

export async function signOutAction() {
  await inAction(() => signOut({ redirectTo: '/' }));
}
