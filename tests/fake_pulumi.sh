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
# --- backend, passphrase, locks, SIGINT: modelled on the real CLI -------------------
# A file:// backend keeps its stacks under <path>/.pulumi/ and a relative path is
# resolved against the working directory (massageBlobPath, pkg/backend/diy/backend.go).
backend=${PULUMI_BACKEND_URL:-}
store=$root/stacks
if [[ $backend == file://* ]]; then
  store=${backend#file://}; store=${store%%\?*}
  [[ $store == /* ]] || store=$PWD/$store
  store=$store/.pulumi/stacks
fi
lock_dir=${store%/stacks}/locks/${stack}  # .pulumi/locks/<org>/<project>/<stack> (diy/lock.go)
# The passphrase: PULUMI_CONFIG_PASSPHRASE, else the file PULUMI_CONFIG_PASSPHRASE_FILE names,
# relative to the working directory (readPassphrase, pkg/secrets/passphrase/manager.go).
passphrase=false
if [[ -n ${PULUMI_CONFIG_PASSPHRASE+set} ]]; then passphrase=true
elif [[ -n ${PULUMI_CONFIG_PASSPHRASE_FILE:-} && -r $PULUMI_CONFIG_PASSPHRASE_FILE ]]; then
  passphrase=true
fi
write_lock() {  # what diyBackend.Lock writes: {pid, username, hostname, timestamp}
  [[ -d $lock_dir ]] || mkdir -p "$lock_dir"
  printf '{"pid": %s, "username": "%s", "hostname": "%s", "timestamp": "2026-01-01T00:00:00Z"}' \
    "$$" "${USER:-fake}" "$HOSTNAME" > "$lock_dir/fake-$$.json"
}
on_sigint() {
  # The first SIGINT cancels the update: the engine lets in-flight steps finish, the
  # backend unlocks, and the update ends with "update canceled"
  # (pkg/backend/cancellation_scope.go; pkg/engine/lifecycletest/testdata/output/TestCanceledRefresh).
  [[ -n ${sleeper:-} ]] && kill "$sleeper" 2>/dev/null
  rm -f "$lock_dir/fake-$$.json"
  out=$'^C received; cancelling. If you would like to terminate immediately, press ^C again.\n'
  out+=$'Diagnostics:\n  pulumi:pulumi:Stack (akeyless-gateway-org-'"$short"$'):\n    error: update canceled\n'
  code=255 cancelled=true
}
hang_until_signalled() {  # a long update; bounded, so a broken cancel fails a test, not hangs it
  # The handler and the sleep it stops are in place before the lock shows the update is
  # under way: a SIGINT sent as soon as the lock appears (as the tests send it) must find
  # both, or the trap runs with no sleeper to kill and the update hangs its full course.
  trap on_sigint INT
  read_file hang_seconds "$root/behaviour/hang_seconds"
  sleep "$hang_seconds" & sleeper=$!
  write_lock
  wait "$sleeper"
  trap - INT
  if [[ -z ${cancelled:-} ]]; then rm -f "$lock_dir/fake-$$.json"; fi
}
read -r -a proc_stat < /proc/$$/stat  # pid (comm) state ppid pgrp session ...: a builtin, no fork
session=${proc_stat[5]}
# -------------------------------------------------------------------------------------
# Builtins only below (no $(...) in the hot path): forks would make the fake, not the
# orchestrator, what the benchmark measures.
case $command in preview|up) summary='{"create": 3}' ;; refresh) summary='{"same": 3}' ;;
  destroy) summary='{"delete": 3}' ;; esac
read_file() { local -n into=$1; into=0; [[ -f $2 ]] && read -r into < "$2"; }
fails_now() {  # fail_times: fail only the first N operations of the stack (0: every one)
  local limit failed
  read_file limit "$root/behaviour/fail_times/$short"
  read_file failed "$root/locks/$short.failed"
  (( limit == 0 || failed < limit )) || return 1
  echo $((failed + 1)) > "$root/locks/$short.failed"; }
# Like the real CLI, refuse to run a stack whose config breaks the project's rules, and
# keep a secret set with `config set --secret` (value on stdin) encrypted: both modelled,
# with the Pulumi sources they follow, in tests/pulumi_config_rules.py.
config_rules() { local python rules; { read -r python; read -r rules; } < "$root/checker"
  "$python" -I "$rules" "$@"; }
# The CLI's verdict on a stack's config is a pure function of the stack's name, Pulumi.yaml
# and Pulumi.<stack>.yaml, so it is kept by their content (for every fake of a test session,
# in the folder the checker file names): the Python check runs once per distinct content.
# Sets err to the CLI's message and returns its status; one fork (sha256sum) when known.
checked_config() { local verdicts project="" stack_file="" key status=0
  { read -r _; read -r _; read -r verdicts; } < "$root/checker"  # python, rules, verdicts
  { read -r project _; read -r stack_file _; } <<< "$(sha256sum Pulumi.yaml "Pulumi.$short.yaml" 2>/dev/null)"
  key="$verdicts/$short-$project-$stack_file"
  if [[ ! -f $key ]]; then
    err=$(config_rules check "$PWD" "$short" "$root" 2>&1) || status=$?
    printf '%s\n%s' "$status" "$err" > "$key.$$" && mv -f "$key.$$" "$key"
  fi
  { read -r status; IFS= read -r -d '' err; } < "$key"
  return "$status"; }
case $command in
  version) out="v3.200.0" ;;
  install)
    read_file install_delay "$root/behaviour/install_delay"
    sleep "$install_delay"
    [[ -f $root/behaviour/install_fails ]] && { code=255; err="error: installing packages: exit status 1"; } ;;
  cancel)
    # On a DIY backend `pulumi cancel` deletes the stack's lock files and nothing else:
    # the running update goes on (CancelCurrentUpdate, pkg/backend/diy/backend.go).
    rm -f "$lock_dir"/*.json 2>/dev/null ;;
  stack)
    case ${args[1]} in
      select) [[ -d $store/$key ]] || { code=255; err="error: no stack named '$stack' found"; } ;;
      init) mkdir -p "$store/${args[2]//\//__}" ;;
      ls)
        rows=()
        for dir in "$store"/*/; do
          [[ -d $dir ]] || continue
          name=${dir%/}; name=${name##*/}; rows+=("{\"name\": \"${name//__//}\", \"current\": false}")
        done
        printf -v out '%s,' "${rows[@]}"; out="[${out%,}]" ;;
      history)
        out="[]"
        if [[ -f $store/$key/last ]]; then read -r out < "$store/$key/last"; out="[$out]"; fi ;;
      output)  # what `up` exported; a secret one masked unless --show-secrets
        out="{}"
        if [[ -f $root/behaviour/outputs/$short ]]; then
          read -r out < "$root/behaviour/outputs/$short"
          [[ " ${args[*]} " == *" --show-secrets "* ]] || out=${out//correct-secret-value/[secret]}
        fi
        if [[ -f $store/$key/fingerprint ]]; then  # exported by the program (program.py)
          read -r fingerprint < "$store/$key/fingerprint"
          [[ $out == "{}" ]] && out="{\"orgctlFingerprint\": $fingerprint}" ||
            out="${out%\}}, \"orgctlFingerprint\": $fingerprint}"
        fi ;;
      rm) rm -rf "$store/${args[-1]//\//__}" ;;
      export)  # the checkpoint: only what a crash left pending is modelled
        pending="[]"
        [[ -f $store/$key/pending ]] && read -r pending < "$store/$key/pending"
        out='{"version": 3, "deployment": {"manifest": {}, "resources": [], "pending_operations": '"$pending"'}}' ;;
    esac ;;
  config)
    if [[ ${args[1]} == set && " ${args[*]} " == *" --secret "* && ! -t 0 ]]; then
      config_rules set-secret "$PWD" "$short" "${args[-1]}" || code=255
    else
      code=1; err="error: the fake pulumi only sets secrets from stdin: ${args[*]}"
    fi ;;
  preview|up|refresh|destroy)
    if [[ $backend == file://* && $passphrase == false ]]; then
      code=255
      err="error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
    fi
    # preview and up validate the stack config; refresh and destroy only with --run-program
    # (pkg/cmd/pulumi/operations/{preview,up,refresh,destroy}.go); --skip-config-validation.
    validate=false
    [[ $command == preview || $command == up || " ${args[*]} " == *" --run-program "* ]] &&
      [[ " ${args[*]} " != *" --skip-config-validation "* ]] && validate=true
    if (( code == 0 )) && [[ -f $root/behaviour/check_config && $validate == true ]] &&
      ! checked_config
    then
      code=255
    else
    (( code == 0 )) && err=""
    read_file served "$root/locks/$short"
    read_file wanted "$root/behaviour/lock/$short"
    held=""  # lock files of other updates refuse this one (checkForLock, pkg/backend/diy/lock.go)
    for lock_file in "$lock_dir"/*.json; do [[ -e $lock_file ]] && held+=$'\n  '"file://$lock_file: created by fake@$HOSTNAME"; done
    if (( code != 0 )); then :
    elif [[ -n $held ]]; then
      code=255
      err="error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.$held"
    elif (( served < wanted )); then
      echo $((served + 1)) > "$root/locks/$short"
      code=255; err="error: the stack is currently locked by 1 lock(s). Either wait."
    else
      [[ -f $root/behaviour/hang/$short ]] && hang_until_signalled
      read_file delay "$root/behaviour/delay"
      [[ -f $root/behaviour/delays/$short ]] && read -r delay < "$root/behaviour/delays/$short"
      [[ ${cancelled:-} ]] || sleep "$delay"
      if [[ $command == refresh && " ${args[*]} " == *" --clear-pending-creates "* ]]; then
        rm -f "$store/$key/pending"  # refresh.go drops pending creates, reads back the rest
      fi
      if [[ -f $root/behaviour/crash/$short ]]; then
        write_lock  # killed hard: the lock stays behind, its pid gone, a create left pending
        printf '[{"resource": {"urn": "urn:pulumi:%s::akeyless-gateway-org::aws:iam/role:Role::%s-role"}, "type": "creating"}]\n' \
          "$short" "$short" > "$store/$key/pending"
        code=255; err="error: signal: killed"
      elif [[ ${cancelled:-} ]]; then  # the engine still ends its event stream
        [[ -n $event_log ]] && printf '{"sequence": 0, "timestamp": 0, "cancelEvent": {}}\n' >> "$event_log"
      elif [[ -f $root/behaviour/fail/$short ]] && fails_now; then
        # The CLI prints diagnostics on stdout, a section per resource
        # (printDiagnostics/printPolicies, pkg/backend/display/progress.go).
        read_file message "$root/behaviour/fail/$short"
        [[ $message == 0 || -z $message ]] && message="creating IAM Role ($short-role): AccessDenied"
        out="Updating ($stack)"$'\n\n'
        out+=$'Diagnostics:\n  aws:iam:Role ('"$short"$'-role):\n    error: '"$message"$'\n\n'
        out+=$'  pulumi:pulumi:Stack (akeyless-gateway-org-'"$short"$'):\n    warning: a warning, not kept\n\n'
        out+=$'Policies:\n    ✅ aws-basics@v1.0.0 (local: policy)\n\nResources:\n    1 unchanged\n\nDuration: 1s'
        code=255; err="error: update failed"
        [[ -n $event_log ]] && printf '{"sequence": 0, "timestamp": 0, "cancelEvent": {}}\n' >> "$event_log"
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
        # The program exports the fingerprint orgctl hands an up (components/program.py);
        # a destroy leaves no outputs.
        if [[ $command == up && -n ${ORGCTL_STACK_FINGERPRINT:-} ]]; then
          echo "$ORGCTL_STACK_FINGERPRINT" > "$store/$key/fingerprint"
        elif [[ $command == up || $command == destroy ]]; then
          rm -f "$store/$key/fingerprint"
        fi
        if [[ $command != preview ]]; then
          TZ=UTC printf -v stamp '%(%Y-%m-%dT%H:%M:%S)T.000000Z' -1
          printf '{"kind": "%s", "startTime": "%s", "endTime": "%s", "message": "", "environment": {}, "config": {}, "result": "succeeded", "version": 1, "resourceChanges": %s}\n' \
            "$command" "$stamp" "$stamp" "$summary" > "$store/$key/last"
        fi
      fi
    fi
    fi ;;
  *) code=1; err="error: the fake pulumi does not know ${args[*]}" ;;
esac
quoted=()
for arg in "${args[@]}"; do arg=${arg//\\/\\\\}; quoted+=("\"${arg//\"/\\\"}\""); done
printf -v joined '%s,' "${quoted[@]}"
printf '{"argv": [%s], "stack": "%s", "cwd": "%s", "backend": "%s", "has_passphrase": %s, "start": %s, "end": %s, "code": %s, "pid": %s, "sid": "%s", "aws_profile": "%s", "akeyless_access_id": "%s"}\n' \
  "${joined%,}" "$short" "$PWD" "${PULUMI_BACKEND_URL:-}" "$passphrase" "$start" "$EPOCHREALTIME" "$code" \
  "$$" "$session" "${AWS_PROFILE:-}" "${AKEYLESS_ACCESS_ID:-}" >> "$root/calls.jsonl"
[[ -n $out ]] && echo "$out"
[[ -n $err ]] && echo "$err" >&2
exit $code
