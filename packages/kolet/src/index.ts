// @mantle/kolet public library API (named exports only).
export {};
