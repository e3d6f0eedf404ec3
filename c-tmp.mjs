import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
const client = createClient({ connection: createChdbConnection({ path: '/tmp/ch2exp/chdbdata' }) });
for (const s of process.argv.slice(2)) {
  try { const r = await client.query({ query: s, format: 'JSONEachRow' }); console.log('=== '+s+'\n'+JSON.stringify(await r.json())); } catch (e) { console.log('=== '+s+'\nERR '+e.message.slice(0,300)); }
}
await client.close();
