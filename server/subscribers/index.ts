export { startSubscribers, stopSubscribers, subscriberLag, createSubscriberRunner } from './runner';
export { subscribers } from './registry';
