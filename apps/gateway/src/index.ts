export { createGatewayApp, requestLog, type GatewayAppOptions, type Readiness } from './app';
export { buildServices } from './compose';
export { ConfigError, loadConfig, parseConfig, parseDatabaseUrl, type GatewayConfig, type DatabaseConfig } from './config';
export { createLogger, type Logger } from './logger';
export { CLIENT_LIMITS, listen, type ClientLimits, type HttpServer } from './server';
export { openGatewayStorage, storageUrl } from './storage';
