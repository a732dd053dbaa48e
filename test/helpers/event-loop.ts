/** The share of the next `ms` the main thread spends out of its event loop's sleep (1: it never sleeps, as when it busy-polls). */
export async function loopBusyShare(ms: number): Promise<number> {
  const from = performance.eventLoopUtilization();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return performance.eventLoopUtilization(from).utilization;
}
