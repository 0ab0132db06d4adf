// Creates @auth/pg-adapter's tables in $DATABASE_URL (idempotent).
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/app npm run db:init
import { readFileSync } from 'node:fs'
import pg from 'pg'

const url = process.env.DATABASE_URL
if (!url) {
  console.error('Set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/app')
  process.exit(1)
}
const client = new pg.Client({ connectionString: url })
await client.connect()
await client.query(readFileSync(new URL('./schema.sql', import.meta.url), 'utf8'))
await client.end()
console.log('tables ready')
