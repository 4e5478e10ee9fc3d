# Turns an Ignition 3.x config into a shell script of calls to the functions of
# ignition-apply, which evals it. One jq run per boot (every process start is slow under
# qemu TCG), so the config is never queried piece by piece. Every value from the config is
# quoted with @sh, so the script is safe to eval whatever the config contains.
# Runs with gojq in the image; jq 1.6 gives the same output.

# Sections the tiny image cannot apply: reported, never silently dropped.
def unsupported:
  . as $c
  | [["storage", "disks"], ["storage", "raid"], ["storage", "filesystems"], ["storage", "luks"],
     ["systemd", "units"], ["kernelArguments"], ["passwd", "groups"],
     ["ignition", "config", "merge"], ["ignition", "config", "replace", "source"]][] as $p
  | select(($c | try getpath($p) catch null) as $v | $v != null and $v != [] and $v != {})
  | @sh "unsupported \($p | join("."))";

def owner: @sh "owner=\(.user.id // .user.name // "") group=\(.group.id // .group.name // "")";

def users:
  .passwd.users // [] | .[]
  | @sh "name=\(.name // "") uid=\(.uid // "") home=\(.homeDir // "") shell=\(.shell // "")",
    @sh "hash=\(.passwordHash // "") primary=\(.primaryGroup // "") groups=\(.groups // [] | join(" "))",
    @sh "keys=\(.sshAuthorizedKeys // [] | join("\n"))",
    "apply_user";

def directories:
  .storage.directories // [] | .[]
  | @sh "path=\(.path // "") mode=\(.mode // "") overwrite=\(.overwrite // false)", owner,
    "apply_directory";

def files:
  .storage.files // [] | .[]
  | @sh "path=\(.path // "") mode=\(.mode // "") overwrite=\(.overwrite // false)", owner,
    @sh "source=\(.contents.source // "") compression=\(.contents.compression // "")",
    @sh "hash=\(.contents.verification.hash // "")",
    "write_file",
    (.append // [] | .[]
     | @sh "source=\(.source // "") compression=\(.compression // "") hash=\(.verification.hash // "")",
       "append_file"),
    "finish_file";

def links:
  .storage.links // [] | .[]
  | @sh "path=\(.path // "") target=\(.target // "") hard=\(.hard // false) overwrite=\(.overwrite // false)",
    owner, "apply_link";

if type != "object" then
  @sh "config_error \("config is not a JSON object")"
else
  (.ignition.version // "" | tostring) as $version
  | if $version == "" then @sh "config_error \("config has no .ignition.version")"
    elif ($version | startswith("3.")) | not then
      @sh "config_error \("unsupported config version \($version) (the tiny image reads 3.x)")"
    else
      @sh "config_version \($version)", unsupported, users, directories, files, links
    end
end
