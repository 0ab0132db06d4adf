export default function Home() {
  return <p>PUBLIC-PAGE next15 fixture</p>
}
