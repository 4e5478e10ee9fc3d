// @mantle/pilot public library API (named exports only).
export {};
