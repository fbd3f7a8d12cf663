# Runs the MidoNet REST API gateway (`api-gateway serve`) as the systemd service `api-gateway`,
# configured by api-gateway.toml: on the ensemble of node['midonet_vpc']['zookeepers'], or on an
# embedded store; history and flow state in node['midonet_vpc']['cassandras'] or a local file.
include_recipe 'midonet_vpc::_common'

attrs = node['midonet_vpc']
gateway = MidonetVpc::Install.binary(attrs, 'api-gateway')

# The embedded store, and the embedded state store (history, flow state) without cassandras.
if attrs['api_gateway']['store'] == 'embedded' || MidonetVpc::State.cassandra_addresses(attrs).empty?
  directory attrs['api_gateway']['data_dir'] do
    owner attrs['user']
    group attrs['group']
    mode '0750'
    recursive true
  end
end

template ::File.join(attrs['config_dir'], 'api-gateway.toml') do
  source 'api-gateway.toml.erb'
  owner 'root'
  group 'root'
  mode '0644'
  # The gateway checks the new file before Chef puts it in place: a bad value fails this run
  # with the gateway's message and leaves the running service alone.
  verify "#{gateway} serve --config %{path} --check-config"
  notifies :restart, 'service[api-gateway]'
end

template '/etc/systemd/system/api-gateway.service' do
  source 'api-gateway.service.erb'
  owner 'root'
  group 'root'
  mode '0644'
  notifies :run, 'execute[midonet_vpc: systemctl daemon-reload]', :immediately
  notifies :restart, 'service[api-gateway]'
end

service 'api-gateway' do
  installed = MidonetVpc::Install.changed_by(attrs, 'api-gateway')
  subscribes :restart, installed unless installed.nil?
  action [:enable, :start]
end
