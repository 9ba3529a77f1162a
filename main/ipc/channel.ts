/** The single Electron IPC channel every renderer call goes through (see contract.ts). */
export const IPC_CHANNEL = 'waypost:invoke';
