# Runs the translator (`translator run`) as the systemd service `translator` on the CLC host,
# configured by translator.toml: it writes the GNI's topology to node['midonet_vpc']
# ['midonet_api_url'] and, unless no_metadata, serves instance metadata (as root).
include_recipe 'midonet_vpc::_common'

attrs = node['midonet_vpc']
translator = ::File.join(attrs['bin_dir'], 'translator')

template ::File.join(attrs['config_dir'], 'translator.toml') do
  source 'translator.toml.erb'
  owner 'root'
  group 'root'
  mode '0644'
  # Checked by the translator before it is put in place (the GNI's directory must exist).
  verify "#{translator} run --config %{path} --check-config"
  notifies :restart, 'service[translator]'
end

template '/etc/systemd/system/translator.service' do
  source 'translator.service.erb'
  owner 'root'
  group 'root'
  mode '0644'
  notifies :run, 'execute[midonet_vpc: systemctl daemon-reload]', :immediately
  notifies :restart, 'service[translator]'
end

service 'translator' do
  action [:enable, :start]
end
