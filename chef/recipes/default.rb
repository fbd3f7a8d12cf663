# The whole cluster on one node: a one-member ZooKeeper ensemble, the gateway on it, and the
# translator (a lab or a small cloud's CLC). Larger clouds give each node only its part:
# recipe[midonet_vpc::zookeeper] on three or five nodes, recipe[midonet_vpc::api_gateway] on one or
# more, recipe[midonet_vpc::translator] on the CLC.
include_recipe 'midonet_vpc::zookeeper'
include_recipe 'midonet_vpc::api_gateway'
include_recipe 'midonet_vpc::translator'
