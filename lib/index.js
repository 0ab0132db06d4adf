'use strict'
const jwt = require('./jwt')

module.exports = {
  getToken: jwt.getToken,
  getTokenSync: jwt.getTokenSync,
  encode: jwt.encode,
  decode: jwt.decode,
}

// verifySession loads the database/HTTP session stores only when first used.
Object.defineProperty(module.exports, 'verifySession', {
  enumerable: true,
  get: () => require('./session').verifySession,
})
