/** One synthesis of the dev stack with N workers under mocks; prints a JSON line. Used by scale.ts. */
import { runProgram } from "../mocks";

async function main(): Promise<void> {
  const workers = Number(process.argv[2]);
  if (!Number.isInteger(workers) || workers < 1) throw new Error("usage: synth.ts <workers>");
  const t0 = process.hrtime.bigint();
  const s = await runProgram("dev", { adminCidr: "192.0.2.10/32", workerCount: String(workers) });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const instances = s.byType("aws:ec2/instance:Instance").length;
  console.log(
    JSON.stringify({
      workers,
      resources: s.resources.length,
      instances,
      seconds: Number(seconds.toFixed(2)),
    }),
  );
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
