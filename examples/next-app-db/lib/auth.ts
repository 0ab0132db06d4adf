import { appendFile } from 'node:fs/promises'
import type { NextAuthOptions } from 'next-auth'
import EmailProvider from 'next-auth/providers/email'
import PostgresAdapter from '@auth/pg-adapter'
import { Pool } from 'pg'
import { DATABASE_URL, MAGIC_LINK_FILE, NEXTAUTH_SECRET } from './env'

const pool = new Pool({ connectionString: DATABASE_URL, max: 5, connectionTimeoutMillis: 2000 })
// A stopped database must not crash the server: errors of idle clients are only logged.
pool.on('error', (err) => console.error('[example] pg pool error:', err.message))

export const authOptions: NextAuthOptions = {
  secret: NEXTAUTH_SECRET,
  // @auth/pg-adapter implements the same adapter methods next-auth v4 calls.
  adapter: PostgresAdapter(pool) as unknown as NextAuthOptions['adapter'],
  session: { strategy: 'database' },
  providers: [
    EmailProvider({
      // Never used: sendVerificationRequest below does not send mail.
      server: { host: '127.0.0.1', port: 25, auth: { user: '', pass: '' } },
      from: 'no-reply@example.com',
      async sendVerificationRequest({ identifier, url }) {
        if (MAGIC_LINK_FILE) {
          await appendFile(MAGIC_LINK_FILE, JSON.stringify({ identifier, url, at: new Date().toISOString() }) + '\n')
        } else {
          console.log(`[example] magic link for ${identifier}: ${url}`)
        }
      },
    }),
  ],
}
