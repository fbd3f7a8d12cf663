# The whole cluster on one node: a one-member ZooKeeper ensemble, the gateway on it, and the
# translator with its metadata plane (a lab or a small cloud's CLC). Larger clouds give each node
# its part: recipe[midonet_vpc::zookeeper] and recipe[midonet_vpc::api_gateway] on three or five
# nodes, recipe[midonet_vpc::metadata] on the CLC (chef/README.md, examples/three-node).
include_recipe 'midonet_vpc::zookeeper'
include_recipe 'midonet_vpc::api_gateway'
include_recipe 'midonet_vpc::metadata'
