import { AuditSkeleton } from '@/components/admin/audit-skeleton';

export default function Loading() {
  return <AuditSkeleton />;
}
