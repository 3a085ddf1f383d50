export * from './services';
export * from './request-context';
