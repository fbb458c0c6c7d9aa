/** Why the filters could not be applied (the same zod issues the API answers with). */
export function AuditError({ issues }: { issues: { path: string; message: string }[] }) {
  return (
    <div role="alert" aria-labelledby="audit-error-title" className="rounded-2xl border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-900 sm:px-5">
      <p id="audit-error-title" className="font-semibold">
        These filters cannot be applied
      </p>
      <ul className="mt-1 list-inside list-disc [overflow-wrap:anywhere]">
        {issues.map((i) => (
          <li key={`${i.path}:${i.message}`}>
            {i.path ? <span className="font-medium">{i.path}: </span> : null}
            {i.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
