import { createMemoryUnitOfWork } from '@gateway/core/testing';
import { runStorageContract } from './contract';

runStorageContract('in-memory fake', async () => ({ uow: createMemoryUnitOfWork(), close: async () => {} }));
