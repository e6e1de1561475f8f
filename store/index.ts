export interface Store { close(): Promise<void> }
