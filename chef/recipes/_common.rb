# What the gateway and the translator share: the service account, the configuration directory
# and the binaries, from a package, a release tarball, or already in place (install.method).
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

case MidonetVpc::Install.install_method(attrs)
when 'package'
  package attrs['install']['package'] do
    version attrs['install']['version'] unless attrs['install']['version'].nil?
  end
when 'tarball'
  release = MidonetVpc::Install.release(attrs)
  prefix = attrs['install']['prefix']

  directory prefix do
    owner 'root'
    group 'root'
    mode '0755'
  end

  # Unpacked beside the release directory and renamed into place, so that directory exists only
  # complete, and `creates` skips a release that is there.
  execute "midonet_vpc: unpack #{release['tarball']}" do
    command MidonetVpc::Install.unpack_command(release, prefix)
    creates release['dir']
  end

  # Its owner and mode stay as they are (/usr/local/bin is the distribution's).
  directory MidonetVpc::Install.bin_dir(attrs) do
    recursive true
  end

  # A new release moves the links; each service restarts on its own (MidonetVpc::Install.changed_by).
  MidonetVpc::Install::BINARIES.each do |name|
    link MidonetVpc::Install.binary(attrs, name) do
      to ::File.join(release['dir'], 'bin', name)
    end
  end
end

# Checked when the run gets here rather than at compile time, so an image build that copies the
# binaries earlier in the same run works, and a package or tarball without one fails here.
MidonetVpc::Install::BINARIES.each do |name|
  path = MidonetVpc::Install.binary(attrs, name)
  ruby_block "midonet_vpc: #{path} is installed" do
    block do
      raise "#{path} is missing or not executable (node['midonet_vpc']['install']['method'] " \
            "is #{attrs['install']['method']})"
    end
    not_if { ::File.executable?(path) }
  end
end
