// @mantle/ore public library API (named exports only).
export {};
