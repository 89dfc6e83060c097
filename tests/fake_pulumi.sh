#!/usr/bin/env bash
root=${0%/bin/pulumi}  # called by its absolute path (PulumiCommand(root=...))
start=$EPOCHREALTIME
args=()
for arg in "$@"; do [[ $arg == --non-interactive ]] || args+=("$arg"); done
command=${args[0]}
stack="" ; event_log=""
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --stack) stack=${args[i+1]} ;;
    --event-log) event_log=${args[i+1]} ;;
  esac
done
if [[ $command == cancel && -z $stack ]]; then
  for arg in "${args[@]:1}"; do [[ $arg == -* ]] || { stack=$arg; break; }; done
fi
short=${stack##*/}
key=${stack//\//__}
code=0 out="" err=""
# Builtins only below (no $(...) in the hot path): forks would make the fake, not the
# orchestrator, what the benchmark measures.
case $command in preview|up) summary='{"create": 3}' ;; refresh) summary='{"same": 3}' ;;
  destroy) summary='{"delete": 3}' ;; esac
read_file() { local -n into=$1; into=0; [[ -f $2 ]] && read -r into < "$2"; }
# Like the real CLI, refuse to run a stack whose config breaks the project's rules, and
# keep a secret set with `config set --secret` (value on stdin) encrypted: both modelled,
# with the Pulumi sources they follow, in tests/pulumi_config_rules.py.
config_rules() { local python rules; { read -r python; read -r rules; } < "$root/checker"
  "$python" -I "$rules" "$@"; }
case $command in
  version) out="v3.200.0" ;;
  install) ;;
  cancel)
    if [[ -f $root/hanging/$short ]]; then
      read_file pid "$root/hanging/$short"; kill "$pid"; rm -f "$root/hanging/$short"
    fi ;;
  stack)
    case ${args[1]} in
      select) [[ -d $root/stacks/$key ]] || { code=255; err="error: no stack named '$stack' found"; } ;;
      init) mkdir -p "$root/stacks/${args[2]//\//__}" ;;
      ls)
        rows=()
        for dir in "$root"/stacks/*/; do
          [[ -d $dir ]] || continue
          name=${dir%/}; name=${name##*/}; rows+=("{\"name\": \"${name//__//}\", \"current\": false}")
        done
        printf -v out '%s,' "${rows[@]}"; out="[${out%,}]" ;;
      history)
        out="[]"
        if [[ -f $root/stacks/$key/last ]]; then read -r out < "$root/stacks/$key/last"; out="[$out]"; fi ;;
      output) out="{}" ;;
      rm) rm -rf "$root/stacks/${args[-1]//\//__}" ;;
    esac ;;
  config)
    if [[ ${args[1]} == set && " ${args[*]} " == *" --secret "* && ! -t 0 ]]; then
      config_rules set-secret "$PWD" "$short" "${args[-1]}" || code=255
    else
      code=1; err="error: the fake pulumi only sets secrets from stdin: ${args[*]}"
    fi ;;
  preview|up|refresh|destroy)
    # preview and up validate the stack config; refresh and destroy only with --run-program
    # (pkg/cmd/pulumi/operations/{preview,up,refresh,destroy}.go); --skip-config-validation.
    validate=false
    [[ $command == preview || $command == up || " ${args[*]} " == *" --run-program "* ]] &&
      [[ " ${args[*]} " != *" --skip-config-validation "* ]] && validate=true
    if [[ -f $root/behaviour/check_config && $validate == true ]] &&
      ! err=$(config_rules check "$PWD" "$short" "$root" 2>&1)
    then
      code=255
    else
    err=""
    read_file served "$root/locks/$short"
    read_file wanted "$root/behaviour/lock/$short"
    if (( served < wanted )); then
      echo $((served + 1)) > "$root/locks/$short"
      code=255; err="error: the stack is currently locked by 1 lock(s). Either wait."
    else
      if [[ -f $root/behaviour/hang/$short ]]; then
        echo $$ > "$root/hanging/$short"; exec sleep 3600
      fi
      read_file delay "$root/behaviour/delay"
      sleep "$delay"
      if [[ -f $root/behaviour/fail/$short ]]; then
        code=255; err="error: update failed for $short: resource creation failed"
      else
        if [[ -n $event_log && $command == preview && -f $root/behaviour/warn/$short ]]; then
          read -r warning < "$root/behaviour/warn/$short"  # already a JSON string
          printf '{"sequence": 0, "timestamp": 0, "diagnosticEvent": {"message": %s, "color": "never", "severity": "warning"}}\n' \
            "$warning" >> "$event_log"
        fi
        if [[ -n $event_log && $command == preview ]]; then
          printf '{"sequence": 0, "timestamp": 0, "resourcePreEvent": {"metadata": {"op": "create", "urn": "urn:pulumi:%s::akeyless-gateway-org::aws:iam/role:Role::%s-role", "type": "aws:iam/role:Role", "provider": "", "new": {"type": "aws:iam/role:Role", "urn": "", "inputs": {"name": "%s", "assumeRolePolicy": "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": []}", "tags": "[secret]"}}}}}\n' \
            "$short" "$short" "$short" >> "$event_log"
        fi
        if [[ -n $event_log ]]; then
          printf '{"sequence": 0, "timestamp": 0, "summaryEvent": {"maybeCorrupt": false, "durationSeconds": 0, "resourceChanges": %s}}\n{"sequence": 1, "timestamp": 0, "cancelEvent": {}}\n' "$summary" >> "$event_log"
        fi
        if [[ $command != preview ]]; then
          TZ=UTC printf -v stamp '%(%Y-%m-%dT%H:%M:%S)T.000000Z' -1
          printf '{"kind": "%s", "startTime": "%s", "endTime": "%s", "message": "", "environment": {}, "config": {}, "result": "succeeded", "version": 1, "resourceChanges": %s}\n' \
            "$command" "$stamp" "$stamp" "$summary" > "$root/stacks/$key/last"
        fi
      fi
    fi
    fi ;;
  *) code=1; err="error: the fake pulumi does not know ${args[*]}" ;;
esac
quoted=()
for arg in "${args[@]}"; do arg=${arg//\\/\\\\}; quoted+=("\"${arg//\"/\\\"}\""); done
printf -v joined '%s,' "${quoted[@]}"
passphrase=false; [[ -n ${PULUMI_CONFIG_PASSPHRASE:-} ]] && passphrase=true
printf '{"argv": [%s], "stack": "%s", "cwd": "%s", "backend": "%s", "has_passphrase": %s, "start": %s, "end": %s, "code": %s}\n' \
  "${joined%,}" "$short" "$PWD" "${PULUMI_BACKEND_URL:-}" "$passphrase" "$start" "$EPOCHREALTIME" "$code" \
  >> "$root/calls.jsonl"
[[ -n $out ]] && echo "$out"
[[ -n $err ]] && echo "$err" >&2
exit $code
