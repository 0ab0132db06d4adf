'use strict'
const jwt = require('./jwt')

module.exports = {
  getToken: jwt.getToken,
  getTokenSync: jwt.getTokenSync,
  encode: jwt.encode,
  decode: jwt.decode,
}
