/** Local fakes of the reply runtime's two outside services: real HTTP servers on 127.0.0.1. */
export { fakeResponsesApi, responseObject, type FakeResponsesApi, type ResponsesStep } from './responses-api';
export { fakeGraphApi, graphPath, type FakeGraphApi, type GraphErrorStep, type GraphStep } from './graph-api';
export { closedPort, type RecordedRequest, type TransportStep } from './server';
