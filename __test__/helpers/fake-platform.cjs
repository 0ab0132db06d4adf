// Preload (`node --require`) that makes this process report another platform,
// so the loader's "no binary fits" path can be tested on any machine.
//   FAKE_PLATFORM=freebsd FAKE_ARCH=x64 node --require ./fake-platform.cjs ...
'use strict'
if (process.env.FAKE_PLATFORM) Object.defineProperty(process, 'platform', { value: process.env.FAKE_PLATFORM })
if (process.env.FAKE_ARCH) Object.defineProperty(process, 'arch', { value: process.env.FAKE_ARCH })
if (process.env.FAKE_EDGE_RUNTIME) globalThis.EdgeRuntime = 'edge-runtime'
