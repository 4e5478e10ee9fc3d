// fs: file-system helpers every tool shares (path confinement and atomic writes land here).
export {};
