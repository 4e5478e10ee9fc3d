// @mantle/plume public library API (named exports only).
export {};
