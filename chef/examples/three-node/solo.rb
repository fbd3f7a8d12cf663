# chef-solo's configuration for the three-node example (chef/README.md): the cookbook copied to
# /var/chef/cookbooks/midonet_vpc, this directory's roles and environment.
#   chef-solo -c solo.rb -j nodes/<this host>.json
cookbook_path '/var/chef/cookbooks'
role_path File.join(__dir__, 'roles')
environment_path File.join(__dir__, 'environments')
environment 'vpc_cloud'
