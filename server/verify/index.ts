export { verifyStore, fromMismatch } from './store';
export { formatReport, summaryLine } from './format';
export type * from './types';
