export { getToken, getTokenSync, encode, decode } from './jwt'
export type { JWT, GetTokenParams, JwsOptions, JWTEncodeParams, JWTDecodeParams, Secret, RequestLike } from './jwt'
export { verifySession } from './session'
export type { Session, DatabaseOptions, SchemaMapping, SessionEndpoint } from './session'
