import fs from "node:fs";
import { getParser } from "@/lib/server/parsers/registry";
const [id, file, n] = process.argv.slice(2);
const p = getParser(id!)!;
(async () => {
  let i = 0;
  for await (const item of p.parse(fs.createReadStream(file!), { path: file!, fileName: file! } as any)) {
    if (i++ < Number(n ?? 3)) console.log(JSON.stringify(item).slice(0, 800));
  }
})();
