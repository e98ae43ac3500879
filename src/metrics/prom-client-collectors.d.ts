// prom-client's default-metric collectors, one module each (not in its typings): colony registers
// them one by one to leave out the event-loop-lag collector (metrics/registry.ts says why).
declare module 'prom-client/lib/metrics/*.js' {
  const collector: (registry: import('prom-client').Registry, config: object) => void;
  export default collector;
}
