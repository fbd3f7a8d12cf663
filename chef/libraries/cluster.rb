require 'ipaddr'

# The hosts and the gateway the cluster's attributes describe, as plain Ruby: which hosts the
# translator recipe registers (midolman-host-mapping, the gateway host with its interface), the
# network configuration the CLC needs for eucart's gateway (the Eucalyptus side and bgp-peers),
# and whether this node is the one the translator belongs on (eucanetd-host). Every method checks
# what it reads and raises naming the attribute, so a bad value fails the Chef run before any
# resource changes.
module MidonetVpc
  module Cluster
    ROOT = "node['midonet_vpc']".freeze

    # This node's addresses and names, from Ohai.
    def self.node_names(node)
      addresses = node['network']['interfaces'].to_h.values.flat_map do |interface|
        interface.to_h.fetch('addresses', {}).keys
      end
      (addresses + [node['fqdn'], node['hostname'], node['ipaddress']]).compact.uniq
    end

    def self.address?(text)
      IPAddr.new(text.to_s)
      !text.to_s.include?('/')
    rescue IPAddr::Error
      false
    end

    # midolman-host-mapping, checked: name => address.
    def self.mapping(attrs)
      attrs['midolman-host-mapping'].to_h.each do |name, address|
        next if address?(address)
        raise ArgumentError, "#{ROOT}['midolman-host-mapping'][#{name.inspect}]: " \
                             "#{address.inspect} is not an IP address"
      end
    end

    # The address of `host`: its midolman-host-mapping entry, or `host` itself if an address.
    def self.address_of(attrs, host, attribute)
      mapped = mapping(attrs)[host]
      return mapped if mapped
      return host if address?(host)
      raise ArgumentError, "#{ROOT}#{attribute}: #{host.inspect} is neither a name in " \
                           'midolman-host-mapping nor an address'
    end

    # Whether `host` (a name or address, of mapping or not) is this node, known by `names`.
    def self.this_node?(attrs, host, names)
      names.include?(host) || names.include?(mapping(attrs)[host])
    end

    # Raises unless this node is the eucanetd-host (when one is set): the translator's metadata
    # proxy forwards to the CLC on loopback, and only one translator may write the topology.
    def self.check_translator_host(attrs, names)
      host = attrs['eucalyptus']['eucanetd-host']
      return if host.nil? || this_node?(attrs, host, names)
      raise ArgumentError, "#{ROOT}['eucalyptus']['eucanetd-host'] is #{host.inspect}, not this " \
                           "node (#{names.join(', ')}): the translator runs on the CLC only"
    end

    # Raises unless this node is in midolman-host-mapping (when the mapping is used): subnets'
    # metadata ports are bound to the CLC's MidoNet host.
    def self.check_metadata_host(attrs, names)
      mapped = mapping(attrs)
      return if mapped.empty? || mapped.any? { |name, address| names.include?(name) || names.include?(address) }
      raise ArgumentError, "this node (#{names.join(', ')}) is not in #{ROOT}" \
                           "['midolman-host-mapping']: the metadata plane's ports are bound to " \
                           'its MidoNet host, which the translator recipe registers from there'
    end

    # What translator.toml's [[hosts]] hold: each mapped host with its address, and the
    # gateway host's gw-interface, which eucart's gateway port is bound to.
    def self.hosts(attrs)
      gateway = gateway(attrs)
      mapping(attrs).map do |name, address|
        interfaces = gateway && gateway['Ip'] == address ? [gateway['ExternalDevice']] : []
        { 'name' => name, 'address' => address, 'interfaces' => interfaces }
      end
    end

    # eucart's gateway as the CLC's network configuration spells it (Mido.Gateways[0]), from the
    # Eucalyptus side and bgp-peers; nil without gw-host.
    def self.gateway(attrs)
      return nil if attrs['eucalyptus']['gw-host'].nil?
      missing = %w(gw-ip gw-interface public-network public-gw-ip).select do |key|
        attrs['eucalyptus'][key].nil?
      end
      unless missing.empty?
        raise ArgumentError, "#{ROOT}['eucalyptus']: gw-host is set, #{missing.join(', ')} " \
                             "#{missing.size == 1 ? 'is' : 'are'} not"
      end
      host = address_of(attrs, attrs['eucalyptus']['gw-host'], "['eucalyptus']['gw-host']")
      unless mapping(attrs).value?(host)
        raise ArgumentError, "#{ROOT}['eucalyptus']['gw-host'] " \
                             "#{attrs['eucalyptus']['gw-host'].inspect} is not in " \
                             'midolman-host-mapping: it is registered from there, with gw-interface'
      end
      network = attrs['eucalyptus']['public-network'].to_s
      gw_ip = ip(attrs['eucalyptus']['gw-ip'], "['eucalyptus']['gw-ip']")
      unless cidr(network, "['eucalyptus']['public-network']").include?(IPAddr.new(gw_ip))
        raise ArgumentError, "#{ROOT}['eucalyptus']['gw-ip'] #{gw_ip} is not in public-network " \
                             "#{network}"
      end
      gateway = { 'Ip' => host, 'ExternalDevice' => attrs['eucalyptus']['gw-interface'].to_s,
                  'ExternalCidr' => network, 'ExternalIp' => gw_ip }
      router = ip(attrs['eucalyptus']['public-gw-ip'], "['eucalyptus']['public-gw-ip']")
      bgp = bgp(attrs, gw_ip, router)
      bgp ? gateway.merge(bgp) : gateway.merge('ExternalRouterIp' => router)
    end

    PEER_KEYS = %w(router-name port-ip remote-as local-as peer-address route).freeze

    # The gateway's BGP settings from bgp-peers (each a session of eucart's port at gw-ip with
    # the upstream router at public-gw-ip, announcing its route); nil without any.
    def self.bgp(attrs, gw_ip, router)
      peers = attrs['bgp-peers'].to_a
      return nil if peers.empty?
      sessions = peers.each_with_index.map do |peer, index|
        where = "#{ROOT}['bgp-peers'][#{index}]"
        raise ArgumentError, "#{where}: #{peer.inspect} is not a hash" unless peer.is_a?(Hash)
        missing = PEER_KEYS - peer.keys.map(&:to_s)
        raise ArgumentError, "#{where}: #{missing.join(', ')} missing" unless missing.empty?
        unless peer['router-name'] == 'eucart'
          raise ArgumentError, "#{where}: router-name #{peer['router-name'].inspect}: eucanetd " \
                               'peers from eucart only'
        end
        unless peer['port-ip'] == gw_ip
          raise ArgumentError, "#{where}: port-ip #{peer['port-ip']} is not gw-ip #{gw_ip}, " \
                               "eucart's gateway port"
        end
        unless peer['peer-address'] == router
          raise ArgumentError, "#{where}: peer-address #{peer['peer-address']} is not " \
                               "public-gw-ip #{router}, eucart's next hop"
        end
        cidr(peer['route'], "['bgp-peers'][#{index}]['route']")
        { 'local' => asn(peer['local-as'], "#{where}['local-as']"),
          'remote' => asn(peer['remote-as'], "#{where}['remote-as']"), 'route' => peer['route'] }
      end
      %w(local remote).each do |side|
        next if sessions.map { |s| s[side] }.uniq.size == 1
        raise ArgumentError, "#{ROOT}['bgp-peers']: eucart's one gateway has one #{side}-as, " \
                             "not #{sessions.map { |s| s[side] }.uniq.join(' and ')}"
      end
      { 'BgpPeerIp' => router, 'BgpPeerAsn' => sessions.first['remote'],
        'BgpAdRoutes' => sessions.map { |s| s['route'] }.uniq, 'BgpAsn' => sessions.first['local'] }
    end

    # The VPCMIDO part of the CLC's network configuration (`euctl
    # cloud.network.network_configuration`) for eucart's gateway; nil without gw-host.
    def self.network_configuration(attrs)
      gateway = gateway(attrs)
      return nil if gateway.nil?
      asn = gateway.delete('BgpAsn')
      mido = asn ? { 'BgpAsn' => asn, 'Gateways' => [gateway] } : { 'Gateways' => [gateway] }
      { 'Mode' => 'VPCMIDO', 'Mido' => mido }
    end

    def self.ip(text, attribute)
      return text.to_s if address?(text)
      raise ArgumentError, "#{ROOT}#{attribute}: #{text.inspect} is not an IP address"
    end

    def self.cidr(text, attribute)
      raise IPAddr::InvalidAddressError unless text.to_s.match?(%r{\A[0-9a-fA-F.:]+/\d+\z})
      IPAddr.new(text.to_s)
    rescue IPAddr::Error
      raise ArgumentError, "#{ROOT}#{attribute}: #{text.inspect} is not a network (address/length)"
    end

    def self.asn(value, attribute)
      number = Integer(value.to_s, 10, exception: false)
      return number.to_s if number && number.between?(1, 4_294_967_295)
      raise ArgumentError, "#{attribute}: #{value.inspect} is not an AS number"
    end
  end
end
