export default function Home() {
  return (
    <>
      <h1>next-auth-native database-session example</h1>
      <p>
        next-auth v4 with <code>@auth/pg-adapter</code> and the Email provider (magic links). The session cookie holds an
        opaque token; <code>proxy.ts</code> looks it up in PostgreSQL natively.
      </p>
      <p>
        <a href="/dashboard">Open the dashboard</a> (protected).
      </p>
    </>
  )
}
