'use strict'
const jwt = require('./jwt')

module.exports = {
  getToken: jwt.getToken,
  getTokenSync: jwt.getTokenSync,
  encode: jwt.encode,
  decode: jwt.decode,
}

// explainSession and errorCodes load with the session module (the same stores).
for (const name of ['explainSession', 'errorCodes']) {
  Object.defineProperty(module.exports, name, { enumerable: true, get: () => require('./explain')[name] })
}
module.exports.NextAuthNativeError = require('./options').NextAuthNativeError

// verifySession loads the database/HTTP session stores only when first used.
Object.defineProperty(module.exports, 'verifySession', {
  enumerable: true,
  get: () => require('./session').verifySession,
})
