'use strict'
// Written so that Node's cjs-module-lexer sees every export: `import { getToken,
// verifySession } from 'next-auth-native'` works from ESM in plain Node.
const jwt = require('./jwt')

exports.getToken = jwt.getToken
exports.getTokenSync = jwt.getTokenSync
exports.encode = jwt.encode
exports.decode = jwt.decode

// explainSession and errorCodes load with the session module (the same stores).
for (const name of ['explainSession', 'errorCodes']) {
  Object.defineProperty(module.exports, name, { enumerable: true, get: () => require('./explain')[name] })
}
module.exports.NextAuthNativeError = require('./options').NextAuthNativeError

// verifySession loads the database/HTTP session stores only when first used.
const lazy = {
  get verifySession() {
    return require('./session').verifySession
  },
}
Object.defineProperty(exports, 'verifySession', {
  enumerable: true,
  get: function () {
    return lazy.verifySession
  },
})
