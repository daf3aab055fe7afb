/**
 * The web face (issue 13): `securechat --web` serves the front end on
 * 127.0.0.1 behind an access token and bridges it to the application API.
 * See server.ts for the routes and guard.ts for who may use them.
 */
export { AccountGate } from './account.ts'
export { loadAssets } from './assets.ts'
export { DEFAULT_WEB_PORT } from './constants.ts'
export { WebServer } from './server.ts'
