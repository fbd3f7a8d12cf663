# Runs the translator with its metadata plane: per-VPC network namespaces on this host (the CLC),
# veth pairs bound to the VPCs' subnets, and the proxy that forwards instances' requests to the
# CLC's metadata service (node['midonet_vpc']['metadata']['clc']). The plane is part of
# `translator run`; this recipe includes recipe translator and turns it on there, so it is the
# one to put on the CLC (with recipe translator too, in either order, the result is the same).
# The plane runs as root and drives iproute2's `ip`.
attrs = node['midonet_vpc']
MidonetVpc::Cluster.check_metadata_host(attrs, MidonetVpc::Cluster.node_names(node))

package 'iproute2'

include_recipe 'midonet_vpc::translator'

# translator.toml (no_metadata = false, clc) and the unit (root, the capabilities the plane
# needs): the translator recipe declared them, with the plane off.
[::File.join(attrs['config_dir'], 'translator.toml'), '/etc/systemd/system/translator.service'].each do |path|
  edit_resource!(:template, path) do
    variables(variables.merge(metadata: true))
  end
end
