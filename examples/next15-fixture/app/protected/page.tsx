export const dynamic = 'force-dynamic'

export default function Protected() {
  return <p>PROTECTED-PAGE next15 fixture</p>
}
