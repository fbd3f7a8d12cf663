# Attributes of the midonet_vpc cookbook, with their defaults. Every attribute a template, recipe
# or library reads is defined here: the cookbook test compiles the recipes and renders each
# template with exactly these values (overridden by an example's environment, roles and nodes)
# and refuses any node['midonet_vpc'][...] path that is not below one of them.
#
# Names: what the design page's configuration ("Automation", the midokura and eucalyptus cookbooks'
# attributes) names keeps its name, hyphens included, so its JSON can be pasted here as it is;
# the cookbook's own attributes use underscores.

# --- The cluster, as the design page's "midokura" block has it.

# The ZooKeeper ensemble. Each member is a hash with its server id: {'id' => 1, 'host' =>
# '10.111.1.5', 'port' => 2181}, and 'quorum_port' and 'election_port' where they differ from
# zookeeper.quorum_port and zookeeper.election_port (members that share a host). A string
# 'host:port' (the midokura form) is a member whose id is its position in the list, from 1. Ids
# are unique, 1 to 255, and stay with their member: removing one renumbers no other. The gateways
# connect to the same list.
default['midonet_vpc']['zookeepers'] = [{ 'id' => 1, 'host' => '127.0.0.1', 'port' => 2181 }]
# Cassandra servers, 'host:port' of CQL's native port (9042; MidoNet 1.x's thrift port 9160 is
# not spoken), or 'host' for 9042. The gateways keep history and flow state there, as MidoNet
# kept flow state; empty, each gateway keeps them in an embedded file in api_gateway.data_dir.
default['midonet_vpc']['cassandras'] = []
# The MidoNet API the translator writes to and hosts are registered with: a gateway of this
# cluster (api_gateway.listen on some node) or a real MidoNet.
default['midonet_vpc']['midonet-api-url'] = 'http://127.0.0.1:8181/midonet-api'
# The tenant the translator makes everything under (eucanetd's VPCMIDO_TENANT).
default['midonet_vpc']['initial-tenant'] = 'euca_tenant_1'
# Host name => address of every MidoNet host: node controllers, the gateway host and the CLC
# (eucanetd-host), whose metadata ports are bound there. The translator recipe registers each
# with the API and adds it to default-tunnel-zone at that address (MidoNet's agent would).
default['midonet_vpc']['midolman-host-mapping'] = {}
# The tunnel zone the mapped hosts join (the midokura cookbook's name and default).
default['midonet_vpc']['default-tunnel-zone'] = 'mido-tz'
# Its type when the recipe creates it: 'gre' or 'vxlan'.
default['midonet_vpc']['tunnel_zone_type'] = 'gre'
# BGP sessions of eucart's gateway port: [{'router-name' => 'eucart', 'port-ip' => gw-ip,
# 'remote-as' => 65000, 'local-as' => 64772, 'peer-address' => public-gw-ip, 'route' =>
# '10.116.130.0/24'}, ...]. They become the gateway's BGP settings in the network configuration
# below (eucanetd takes BGP from the CLC since Eucalyptus 4.3, not from the midokura cookbook).
default['midonet_vpc']['bgp-peers'] = []

# --- The Eucalyptus side, as the design page's "midonet" block has it: the gateway that
# connects eucart to the outside, and where the translator (eucanetd's successor) runs.

# The gateway host (a name of midolman-host-mapping, or an address); nil: no gateway is
# configured here, and no network configuration is written.
default['midonet_vpc']['eucalyptus']['gw-host'] = nil
# eucart's address on the public network, on the gateway host's gw-interface.
default['midonet_vpc']['eucalyptus']['gw-ip'] = nil
default['midonet_vpc']['eucalyptus']['gw-interface'] = nil
# The public network (CIDR) gw-ip is on, and its router: eucart's default route.
default['midonet_vpc']['eucalyptus']['public-network'] = nil
default['midonet_vpc']['eucalyptus']['public-gw-ip'] = nil
# The host the translator runs on (the CLC): the translator and metadata recipes refuse to run
# on another node. nil: any node.
default['midonet_vpc']['eucalyptus']['eucanetd-host'] = nil
# The global network view the CLC writes; its directory must exist.
default['midonet_vpc']['eucalyptus']['gni'] = '/var/run/eucalyptus/global_network_info.xml'

# --- Installing the binaries (api-gateway, translator, midonet-cli).

# 'package': the package install.package from the node's apt sources; 'tarball': the release
# tarball at install.tarball; 'preinstalled': already in bin_dir (copied by an image build).
default['midonet_vpc']['install']['method'] = 'package'
default['midonet_vpc']['install']['package'] = 'midonet-vpc'
# A version to pin ('0.1.0-1'); nil installs the candidate once and leaves upgrades to apt.
default['midonet_vpc']['install']['version'] = nil
# The release tarball's path on the node: NAME.tar.gz holding NAME/bin/api-gateway, translator
# and midonet-cli. It is unpacked into install.prefix/NAME once, and bin_dir's links point there;
# a tarball of another NAME (a new release) is unpacked beside it and the links move.
default['midonet_vpc']['install']['tarball'] = nil
default['midonet_vpc']['install']['prefix'] = '/opt/midonet-vpc'
# Where the services find the binaries; nil: /usr/bin with a package, /usr/local/bin otherwise.
default['midonet_vpc']['bin_dir'] = nil

# --- The services' account and files.

# The account the gateway runs as.
default['midonet_vpc']['user'] = 'midonet'
default['midonet_vpc']['group'] = 'midonet'
# Where api-gateway.toml, translator.toml and eucalyptus-network.json live.
default['midonet_vpc']['config_dir'] = '/etc/midonet-vpc'
# RUST_LOG of both services (`info`, `debug`, `translator=debug,info`, ...).
default['midonet_vpc']['log_filter'] = 'info'

# --- ZooKeeper (recipe zookeeper), from Debian's `zookeeper` package.

# This node's server id; nil finds the member whose host is one of this node's addresses or
# names (set it when members share a host).
default['midonet_vpc']['zookeeper']['my_id'] = nil
# Peer ports of members that give none.
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

# The API's listen address. Without credentials the API is open: keep it on loopback or a
# management network.
default['midonet_vpc']['api_gateway']['listen'] = '127.0.0.1:8181'
# A credentials file (`api-gateway serve --credentials`; users, Argon2 hashes, roles) to require
# logins; nil serves without authentication (`no_auth = true`).
default['midonet_vpc']['api_gateway']['credentials'] = nil
# `zookeeper` (the ensemble above) or `embedded` (one gateway, a local file in data_dir).
default['midonet_vpc']['api_gateway']['store'] = 'zookeeper'
default['midonet_vpc']['api_gateway']['data_dir'] = '/var/lib/midonet-vpc/gateway'
default['midonet_vpc']['api_gateway']['zk_root'] = '/midonet'
# History and flow state (api-gateway.toml's [state]), in Cassandra when cassandras is set.
# Record every API write (what changed, before and after) for `midonet-cli history`, the
# translator's `history` and the change feed's old windows.
default['midonet_vpc']['api_gateway']['history'] = true
default['midonet_vpc']['api_gateway']['cassandra_keyspace'] = 'midonet_state'
# Replicas of the keyspace (SimpleStrategy); nil: as many as cassandras, at most 3.
default['midonet_vpc']['api_gateway']['cassandra_replication_factor'] = nil
# Seconds a traced connection's flow state is kept.
default['midonet_vpc']['api_gateway']['flow_state_ttl'] = 3600

# --- The translator (recipes translator and metadata), on the CLC: translator.toml's keys.

default['midonet_vpc']['translator']['euca_version'] = '5.0.0.0'
# Seconds between polls of the GNI, besides watching it.
default['midonet_vpc']['translator']['poll'] = 1.0
# Also register a host for every node, gateway and CLC of the GNI (named node-<ip>, ...) that
# no host has the address of: for a lab without midolman-host-mapping.
default['midonet_vpc']['translator']['register_hosts'] = false
# The account the translator runs as without the metadata plane (recipe translator alone). It
# writes the version file next to the GNI, in a directory the CLC's `eucalyptus` account owns.
# With the plane (recipe metadata) it runs as root.
default['midonet_vpc']['translator']['user'] = 'eucalyptus'

# --- The metadata plane (recipe metadata): per-VPC namespaces and the proxy of `translator run`.

# The CLC's metadata service the proxy forwards to, on this host (the CLC believes
# Euca-Instance-Id only from loopback).
default['midonet_vpc']['metadata']['clc'] = '127.0.0.1:8773'
