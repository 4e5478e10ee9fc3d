# Turns the parts of an Ignition 3.x config that only the systemd image applies into shell
# calls to the functions of ignition-firstboot, which evals them. One run per phase ($phase):
#   groups  passwd.groups        -> apply_group      (before the users are made)
#   files   systemd.units files  -> unit_file, unit_dropin
#   states  systemd.units state  -> unit_state       (after every file exists)
# Every value is quoted with @sh, so the script is safe to eval whatever the config holds.
# Runs with gojq in the initramfs; jq 1.6 gives the same output.

def flag($v): if $v == null then "" else ($v | tostring) end;

def units: (.systemd.units // []) | .[] | select(type == "object");

if $phase == "groups" then
  (.passwd.groups // []) | .[] | select(type == "object")
  | @sh "group=\(.name // "") gid=\(.gid // "" | tostring) hash=\(.passwordHash // "") system=\(flag(.system))",
    "apply_group"
elif $phase == "files" then
  units
  | @sh "name=\(.name // "") mask=\(flag(.mask)) has_contents=\(.contents != null) contents=\(.contents // "")",
    "unit_file",
    ((.dropins // []) | .[] | select(type == "object")
     | @sh "dropin=\(.name // "") has_contents=\(.contents != null) contents=\(.contents // "")",
       "unit_dropin")
elif $phase == "states" then
  units
  | @sh "name=\(.name // "") mask=\(flag(.mask)) enabled=\(flag(.enabled))",
    "unit_state"
else
  error("unknown phase \($phase)")
end
