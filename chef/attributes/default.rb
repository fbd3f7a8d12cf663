# Attributes of the midonet_vpc cookbook, with their defaults. Every attribute a template or
# recipe reads is defined here: the cookbook test renders each template with exactly these values
# and refuses any `node['midonet_vpc'][...]` path that is not below one of them.

# --- The cluster. The names follow the midokura cookbook's ('zookeepers', 'midonet-api-url',
# 'initial-tenant') with '_' for '-', so an environment written for it translates key by key.

# The ZooKeeper ensemble, in order (the first entry is server 1): `host:client_port`, or
# `host:client_port:quorum_port:election_port` for members that share a host and so need peer
# ports of their own. The gateways connect to the same list.
default['midonet_vpc']['zookeepers'] = ['127.0.0.1:2181']
# The MidoNet API the translator writes to: a gateway of this cluster (or a real MidoNet).
default['midonet_vpc']['midonet_api_url'] = 'http://127.0.0.1:8181/midonet-api'
# The tenant the translator makes everything under (eucanetd's VPCMIDO_TENANT).
default['midonet_vpc']['initial_tenant'] = 'euca_tenant_1'

# --- Binaries and the service account.

# Where api-gateway, translator and midonet-cli are installed.
default['midonet_vpc']['bin_dir'] = '/usr/local/bin'
# A URL of a directory holding the three binaries, fetched into bin_dir; nil expects them to be
# in bin_dir already (copied by an image build, say), and a run fails naming any that is missing.
default['midonet_vpc']['binaries_url'] = nil
# With binaries_url: the SHA-256 of each binary, by name ('api-gateway' => '3f2a...'); required.
default['midonet_vpc']['binaries_sha256'] = {}
# The account the gateway runs as (and the translator, with no_metadata, unless set below).
default['midonet_vpc']['user'] = 'midonet'
default['midonet_vpc']['group'] = 'midonet'
# Where api-gateway.toml and translator.toml live.
default['midonet_vpc']['config_dir'] = '/etc/midonet-vpc'
# RUST_LOG of both services (`info`, `debug`, `translator=debug,info`, ...).
default['midonet_vpc']['log_filter'] = 'info'

# --- ZooKeeper (recipe zookeeper), from Debian's `zookeeper` package.

# This node's server id, its position in `zookeepers` counting from 1; nil finds the entry whose
# host is one of this node's addresses or names (set it when members share a host).
default['midonet_vpc']['zookeeper']['my_id'] = nil
# Peer ports of entries that give none.
default['midonet_vpc']['zookeeper']['quorum_port'] = 2888
default['midonet_vpc']['zookeeper']['election_port'] = 3888
# Registered as the `zookeeper-conf` alternative, so /etc/zookeeper/conf (zkCli.sh, zkServer.sh)
# points at it.
default['midonet_vpc']['zookeeper']['conf_dir'] = '/etc/zookeeper/conf_midonet'
default['midonet_vpc']['zookeeper']['data_dir'] = '/var/lib/zookeeper'
default['midonet_vpc']['zookeeper']['tick_time'] = 2000
default['midonet_vpc']['zookeeper']['init_limit'] = 10
default['midonet_vpc']['zookeeper']['sync_limit'] = 5
# Four-letter commands answered on the client port (`srvr` and `mntr` for health checks).
default['midonet_vpc']['zookeeper']['four_letter_words'] = 'ruok,srvr,mntr'
# ZooKeeper never deletes old snapshots and logs unless told to.
default['midonet_vpc']['zookeeper']['snap_retain_count'] = 3
default['midonet_vpc']['zookeeper']['purge_interval_hours'] = 24
default['midonet_vpc']['zookeeper']['java'] = '/usr/bin/java'
default['midonet_vpc']['zookeeper']['heap'] = '1g'
# The server and a logger that writes to stderr, which journald keeps.
default['midonet_vpc']['zookeeper']['classpath'] =
  '/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar'

# --- The gateway (recipe api_gateway): api-gateway.toml's keys.

# No authentication yet: keep it on loopback or a management network.
default['midonet_vpc']['api_gateway']['listen'] = '127.0.0.1:8181'
# `zookeeper` (the ensemble above) or `embedded` (one gateway, a local file in data_dir).
default['midonet_vpc']['api_gateway']['store'] = 'zookeeper'
default['midonet_vpc']['api_gateway']['data_dir'] = '/var/lib/midonet-vpc/gateway'
default['midonet_vpc']['api_gateway']['zk_root'] = '/midonet'

# --- The translator (recipe translator), on the CLC host: translator.toml's keys.

default['midonet_vpc']['translator']['gni'] = '/var/run/eucalyptus/global_network_info.xml'
default['midonet_vpc']['translator']['euca_version'] = '5.0.0.0'
# Seconds between polls of the GNI, besides watching it.
default['midonet_vpc']['translator']['poll'] = 1.0
default['midonet_vpc']['translator']['register_hosts'] = false
# true runs without the metadata plane, and then not as root (see `user`).
default['midonet_vpc']['translator']['no_metadata'] = false
# The CLC's metadata service the proxy forwards to.
default['midonet_vpc']['translator']['clc_metadata'] = '127.0.0.1:8773'
# With no_metadata, the account the translator runs as. It writes the version file next to the
# GNI, in a directory the CLC's `eucalyptus` account owns. With the metadata plane it is root.
default['midonet_vpc']['translator']['user'] = 'eucalyptus'
