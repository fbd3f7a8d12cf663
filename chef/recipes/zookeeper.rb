# Runs this node's member of the ZooKeeper ensemble listed in node['midonet_vpc']['zookeepers']
# as the systemd service `zookeeper`, from Debian's `zookeeper` package (its jars and its
# `zookeeper` account; not `zookeeperd`, whose init script this unit replaces).
include_recipe 'midonet_vpc::_systemd'

attrs = node['midonet_vpc']
conf_dir = attrs['zookeeper']['conf_dir']
data_dir = attrs['zookeeper']['data_dir']
my_id = MidonetVpc::Ensemble.my_id(attrs, MidonetVpc::Cluster.node_names(node))

package %w(zookeeper default-jre-headless)

directory conf_dir do
  owner 'root'
  group 'root'
  mode '0755'
end

directory data_dir do
  owner 'zookeeper'
  group 'zookeeper'
  mode '0750'
  recursive true
end

template ::File.join(conf_dir, 'zoo.cfg') do
  source 'zoo.cfg.erb'
  variables(my_id: my_id)
  owner 'root'
  group 'root'
  mode '0644'
  notifies :restart, 'service[zookeeper]'
end

# zkCli.sh and zkServer.sh read /etc/zookeeper/conf, Debian's `zookeeper-conf` alternative.
execute "midonet_vpc: #{conf_dir} is the zookeeper-conf alternative" do
  command "update-alternatives --install /etc/zookeeper/conf zookeeper-conf #{conf_dir} 100 && " \
          "update-alternatives --set zookeeper-conf #{conf_dir}"
  not_if "update-alternatives --query zookeeper-conf | grep -qx 'Value: #{conf_dir}'"
end

# Debian makes /var/lib/zookeeper/myid a link to /etc/zookeeper/conf/myid: write through it, so
# both places agree, after the alternative above points the link at conf_dir.
template ::File.join(data_dir, 'myid') do
  source 'myid.erb'
  variables(my_id: my_id)
  manage_symlink_source true
  owner 'zookeeper'
  group 'zookeeper'
  mode '0644'
  notifies :restart, 'service[zookeeper]'
end

template '/etc/systemd/system/zookeeper.service' do
  source 'zookeeper.service.erb'
  variables(my_id: my_id)
  owner 'root'
  group 'root'
  mode '0644'
  notifies :run, 'execute[midonet_vpc: systemctl daemon-reload]', :immediately
  notifies :restart, 'service[zookeeper]'
end

service 'zookeeper' do
  action [:enable, :start]
end
