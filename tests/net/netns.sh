# Sourced by the network tests: removing the namespaces a test made, and those that a
# killed run (its pid gone) left behind. Names are <prefix>-<pid>-<host>.

# netns_del NAME...: kills what runs in each namespace, deletes it and its /etc/netns
# folder (resolv.conf/hosts given to it by `ip netns exec`).
netns_del() {
  local n p
  for n in "$@"; do
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$n" 2>/dev/null
    rm -rf "/etc/netns/$n"
  done
}

# netns_reap PREFIX: deletes the PREFIX-<pid>-* namespaces whose run is gone.
netns_reap() {
  local n pid
  for n in $(ip netns list 2>/dev/null | awk -v p="^$1-[0-9]+-" '$1 ~ p {print $1}'); do
    pid=${n#"$1"-}; pid=${pid%%-*}
    kill -0 "$pid" 2>/dev/null || netns_del "$n"
  done
}
