require 'shellwords'

# Where the project's binaries come from and where the services find them, from
# node['midonet_vpc']['install'] and ['bin_dir'], for the recipes and the unit templates.
module MidonetVpc
  module Install
    BINARIES = %w(api-gateway translator midonet-cli).freeze
    METHODS = %w(package tarball preinstalled).freeze
    # A release tarball's name: NAME.tar.gz (or .tgz), holding NAME/bin/<binary>.
    TARBALL = /\A(?<name>[A-Za-z0-9][A-Za-z0-9._+-]*)\.(?:tar\.gz|tgz)\z/.freeze

    # 'package', 'tarball' or 'preinstalled'; raises on anything else.
    def self.install_method(attrs)
      chosen = attrs['install']['method']
      return chosen if METHODS.include?(chosen)
      raise ArgumentError, "node['midonet_vpc']['install']['method'] is #{chosen.inspect}, not " \
                           "one of #{METHODS.join(', ')}"
    end

    # The binaries' directory: bin_dir, or where the install method puts them.
    def self.bin_dir(attrs)
      attrs['bin_dir'] || (install_method(attrs) == 'package' ? '/usr/bin' : '/usr/local/bin')
    end

    def self.binary(attrs, name)
      ::File.join(bin_dir(attrs), name)
    end

    # The tarball's path and the directory it unpacks to (install.prefix/NAME).
    def self.release(attrs)
      tarball = attrs['install']['tarball']
      if tarball.nil?
        raise ArgumentError, "node['midonet_vpc']['install']['tarball'] is not set " \
                             "(install.method is 'tarball')"
      end
      match = TARBALL.match(::File.basename(tarball.to_s))
      unless match && tarball.to_s.start_with?('/')
        raise ArgumentError, "node['midonet_vpc']['install']['tarball'] #{tarball.inspect} is not " \
                             'an absolute path to NAME.tar.gz'
      end
      { 'tarball' => tarball.to_s, 'dir' => ::File.join(attrs['install']['prefix'], match[:name]) }
    end

    # The shell command that unpacks `release` (from #release) into `prefix`: into a temporary
    # directory there, then renamed to the release directory in one step.
    def self.unpack_command(release, prefix)
      name = ::File.basename(release['dir'])
      tmp = "#{prefix}/.unpack.XXXXXX"
      "set -e; tmp=$(mktemp -d #{Shellwords.escape(tmp)}); trap 'rm -rf \"$tmp\"' EXIT; " \
        "tar -xzf #{Shellwords.escape(release['tarball'])} -C \"$tmp\"; " \
        "mv \"$tmp\"/#{Shellwords.escape(name)} #{Shellwords.escape(release['dir'])}"
    end

    # The resource whose change means new binaries, for a service to restart on: the package,
    # or the link to the binary it runs; nil when nothing here installs them.
    def self.changed_by(attrs, name)
      case install_method(attrs)
      when 'package' then "package[#{attrs['install']['package']}]"
      when 'tarball' then "link[#{binary(attrs, name)}]"
      end
    end
  end
end
