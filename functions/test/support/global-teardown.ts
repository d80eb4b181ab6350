export default async function globalTeardown(): Promise<void> {
  const running = globalThis.__TASKFLOW_EMULATORS__ ?? [];
  await Promise.all(running.reverse().map((s) => s.stop()));
}
