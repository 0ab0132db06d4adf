'use strict'
// The napi-generated loader (../index.js) picks the right .node file for this platform.
module.exports = require('../index.js')
