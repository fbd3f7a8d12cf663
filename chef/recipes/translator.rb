# Runs the translator (`translator run`) as the systemd service `translator` on the CLC: it
# keeps node['midonet_vpc']['midonet-api-url'] equal to the GNI, without the metadata plane
# (recipe metadata adds it). Registers midolman-host-mapping's hosts and their tunnel zone with
# the API (`translator register-hosts`), and writes the network configuration the CLC needs for
# eucart's gateway (eucalyptus-network.json) when the Eucalyptus side names one.
include_recipe 'midonet_vpc::_common'

attrs = node['midonet_vpc']
translator = MidonetVpc::Install.binary(attrs, 'translator')
config = ::File.join(attrs['config_dir'], 'translator.toml')
MidonetVpc::Cluster.check_translator_host(attrs, MidonetVpc::Cluster.node_names(node))

template config do
  source 'translator.toml.erb'
  variables(metadata: false)
  owner 'root'
  group 'root'
  mode '0644'
  # Checked by the translator before it is put in place (the GNI's directory must exist).
  verify "#{translator} run --config %{path} --check-config"
  notifies :restart, 'service[translator]'
end

template '/etc/systemd/system/translator.service' do
  source 'translator.service.erb'
  variables(metadata: false)
  owner 'root'
  group 'root'
  mode '0644'
  notifies :run, 'execute[midonet_vpc: systemctl daemon-reload]', :immediately
  notifies :restart, 'service[translator]'
end

unless MidonetVpc::Cluster.network_configuration(attrs).nil?
  # For the CLC's network configuration: merge into it and upload with `euctl
  # cloud.network.network_configuration=@FILE`. The translator reads the result from the GNI.
  template ::File.join(attrs['config_dir'], 'eucalyptus-network.json') do
    source 'eucalyptus-network.json.erb'
    owner 'root'
    group 'root'
    mode '0644'
  end
end

service 'translator' do
  installed = MidonetVpc::Install.changed_by(attrs, 'translator')
  subscribes :restart, installed unless installed.nil?
  action [:enable, :start]
end

unless MidonetVpc::Cluster.hosts(attrs).empty?
  # The API may be on another node that is still starting: retried.
  execute 'midonet_vpc: register hosts and tunnel zone' do
    command "#{translator} register-hosts --config #{config}"
    not_if "#{translator} register-hosts --config #{config} --check"
    retries 6
    retry_delay 10
  end
end
