# What the gateway and the translator share: the service account, the configuration directory
# and the binaries (fetched with their checksums, or expected in bin_dir).
include_recipe 'midonet_vpc::_systemd'

attrs = node['midonet_vpc']

group attrs['group'] do
  system true
end

user attrs['user'] do
  system true
  gid attrs['group']
  home '/nonexistent'
  shell '/usr/sbin/nologin'
  manage_home false
end

# Readable by all: the files hold addresses and paths, no secrets, and the translator may run as
# another account than the gateway.
directory attrs['config_dir'] do
  owner 'root'
  group 'root'
  mode '0755'
end

%w(api-gateway translator midonet-cli).each do |name|
  path = ::File.join(attrs['bin_dir'], name)
  if attrs['binaries_url']
    sha256 = attrs['binaries_sha256'][name]
    if sha256.to_s.empty?
      raise "node['midonet_vpc']['binaries_sha256']['#{name}'] is not set: a binary is fetched " \
            'only with its SHA-256'
    end
    remote_file path do
      source "#{attrs['binaries_url'].chomp('/')}/#{name}"
      checksum sha256
      owner 'root'
      group 'root'
      mode '0755'
    end
  else
    # Checked when the run gets here rather than at compile time, so an image build that copies
    # the binaries earlier in the same run still works.
    ruby_block "midonet_vpc: #{path} is installed" do
      block do
        raise "#{path} is missing or not executable: copy it there, or set " \
              "node['midonet_vpc']['binaries_url'] and ['binaries_sha256']"
      end
      not_if { ::File.executable?(path) }
    end
  end
end
