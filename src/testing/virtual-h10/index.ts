/** A virtual Polar H10 behind a virtual HCI controller, for running the real noble stack without a radio. */
export { ATT, ATT_ERROR, type CccdBehaviour } from './att.js';
export {
  type AdapterState,
  VIRTUAL_CONTROLLER_DEFAULTS,
  VirtualController,
  type VirtualControllerOptions,
} from './controller.js';
export {
  H10_HANDLE,
  H10_SERVER_MTU,
  h10AdvertisingData,
  h10AttributeTable,
  h10ScanResponseData,
} from './h10-profile.js';
export { aclPackets, HCI_STATUS } from './hci.js';
export {
  installVirtualH10,
  installVirtualH10FromEnv,
  SCRIPT_CUE_SIGNAL,
  type ScriptStep,
  type StrapConfig,
  VIRTUAL_H10_ENV,
  VIRTUAL_H10_GLOBAL,
  type VirtualH10Config,
} from './install.js';
export { HCI_SOCKET_MODULE, isNobleHciLoaded, substituteHciSocket } from './seam.js';
export { activeVirtualController, useVirtualController, VirtualHciSocket } from './socket.js';
export { type StrapJournalEntry, VIRTUAL_H10_DEFAULTS, VirtualH10, type VirtualH10Options } from './strap.js';
