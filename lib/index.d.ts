export { getToken, getTokenSync, encode, decode } from './jwt'
export type { JWT, GetTokenParams, JwsOptions, JWTEncodeParams, JWTDecodeParams, Secret, RequestLike } from './jwt'
